"""Reusable UI pieces. Components never query the database; they receive DataFrames."""
