"""Implicit feedback, the recommender's input: who did what to which post or account. The
log is written from every context, so it sits low; what is read from it is the
recommendations context's."""
