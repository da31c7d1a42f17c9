"""Document templates (YAML + Jinja2) shipped with bwauto; the office may override them."""
