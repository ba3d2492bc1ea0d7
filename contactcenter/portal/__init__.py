"""The customer portal: sign-in by emailed link, tickets and replies, public articles, surveys."""
