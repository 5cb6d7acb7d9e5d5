"""The no-Docker twin of the class stack: the declared services as processes on loopback."""
