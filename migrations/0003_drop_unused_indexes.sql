DROP INDEX `observation_revision_recorded_idx`;--> statement-breakpoint
DROP INDEX `observation_current_seq_idx`;