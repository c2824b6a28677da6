"""Standard-library helpers baked into the add-on image: health check and discovery."""
