"""OpenAlex enrichment: a polite JSON client, a defensive parser of works, resumable runs."""
