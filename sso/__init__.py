"""Single sign-on: OpenID Connect through django-allauth, the provider's groups mapped to our roles."""
