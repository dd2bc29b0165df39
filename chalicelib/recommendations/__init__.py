"""The explore feed and suggested accounts as the recommender job wrote them, and the view
events the app reports to it."""
