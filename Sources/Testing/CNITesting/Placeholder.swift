// Testing support (placeholder).
