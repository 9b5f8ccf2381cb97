"""coform: an accessible form-and-survey engine for council co-production."""
