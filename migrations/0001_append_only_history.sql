-- History is append-only: revisions and audit entries can be added, never
-- changed or removed, whatever client writes to the file.
CREATE TRIGGER `observation_revision_no_update` BEFORE UPDATE ON `observation_revision`
BEGIN SELECT RAISE(ABORT, 'observation_revision is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `observation_revision_no_delete` BEFORE DELETE ON `observation_revision`
BEGIN SELECT RAISE(ABORT, 'observation_revision is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_entry_no_update` BEFORE UPDATE ON `audit_entry`
BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_entry_no_delete` BEFORE DELETE ON `audit_entry`
BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `observation_no_delete` BEFORE DELETE ON `observation`
BEGIN SELECT RAISE(ABORT, 'observations are withdrawn by a revision, never deleted'); END;
--> statement-breakpoint
CREATE TRIGGER `observation_identity_fixed` BEFORE UPDATE OF `id`, `indicator_code`, `area_code`, `period_code`, `kind` ON `observation`
BEGIN SELECT RAISE(ABORT, 'an observation''s identity never changes'); END;
