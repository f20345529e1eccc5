"""cnibench: side-by-side benchmark of two CNI plugin directories (see bench/README.md)."""
