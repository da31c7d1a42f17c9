"""Shipped data of the case file: the sample holidays."""
