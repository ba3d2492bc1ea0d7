"""What the demo publishes through the services: knowledge base articles and a training course."""
