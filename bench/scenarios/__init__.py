"""One module per scenario; each has `run(size, ...) -> dict` returning its JSON result."""
