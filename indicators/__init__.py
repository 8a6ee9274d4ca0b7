"""jixiao.indicators — the versioned indicator library (the ground floor)."""
