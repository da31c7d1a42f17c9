"""Inventory: hosts, groups, defaults and OPD links, validated on load."""
