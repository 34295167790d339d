-- History is append-only: revisions and audit entries can be added, never changed or
-- removed, whatever client writes to the database (as the SQLite triggers hold it there).
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER observation_revision_no_update BEFORE UPDATE ON observation_revision
  FOR EACH ROW EXECUTE FUNCTION refuse_change('observation_revision is append-only');
--> statement-breakpoint
CREATE TRIGGER observation_revision_no_delete BEFORE DELETE ON observation_revision
  FOR EACH ROW EXECUTE FUNCTION refuse_change('observation_revision is append-only');
--> statement-breakpoint
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
  FOR EACH ROW EXECUTE FUNCTION refuse_change('audit_entry is append-only');
--> statement-breakpoint
CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
  FOR EACH ROW EXECUTE FUNCTION refuse_change('audit_entry is append-only');
--> statement-breakpoint
CREATE TRIGGER observation_no_delete BEFORE DELETE ON observation
  FOR EACH ROW EXECUTE FUNCTION refuse_change('observations are withdrawn by a revision, never deleted');
--> statement-breakpoint
CREATE TRIGGER observation_identity_fixed BEFORE UPDATE OF id, indicator_code, area_code, period_code, kind ON observation
  FOR EACH ROW EXECUTE FUNCTION refuse_change('an observation''s identity never changes');
--> statement-breakpoint
-- TRUNCATE skips row triggers; SQLite has no such statement, so it is refused outright here.
CREATE TRIGGER observation_revision_no_truncate BEFORE TRUNCATE ON observation_revision
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('observation_revision is append-only');
--> statement-breakpoint
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('audit_entry is append-only');
--> statement-breakpoint
CREATE TRIGGER observation_no_truncate BEFORE TRUNCATE ON observation
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('observations are withdrawn by a revision, never deleted');
