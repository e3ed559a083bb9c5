"""HTTP views, one blueprint per role."""
