"""Stage 2, validated -> processed: every measure of the plan computed for a quarter, passed
through the privacy gate, and written as tables and download CSVs with their publication record."""
