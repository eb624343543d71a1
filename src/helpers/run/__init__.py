"""Stage 4 and the whole run: page notebooks executed by papermill in warm kernels, the
quarterly run that drives every stage in order, and the analysts' one-page preview."""
