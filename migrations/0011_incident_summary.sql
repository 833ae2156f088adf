ALTER TABLE incidents ADD COLUMN summary TEXT NOT NULL DEFAULT ''; -- "what we know now" (Markdown), edited with PATCH /api/incidents/{id}
