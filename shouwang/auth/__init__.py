"""Sign-in: the guard's device + PIN sign-in and its signed tokens (``guards``)."""
