"""The numbers behind the scored assertion types, free of spec and verdict types."""
