CREATE TABLE `indicator_relation` (
	`code` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`definition` text NOT NULL,
	`description` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `seed_correction` (
	`id` text PRIMARY KEY NOT NULL,
	`source_id` text NOT NULL,
	`applied_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `topic_indicator` (
	`topic_code` text NOT NULL,
	`indicator_code` text NOT NULL,
	PRIMARY KEY(`topic_code`, `indicator_code`),
	FOREIGN KEY (`topic_code`) REFERENCES `topic`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`indicator_code`) REFERENCES `indicator`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `topic_indicator_indicator_idx` ON `topic_indicator` (`indicator_code`);--> statement-breakpoint
CREATE TABLE `topic` (
	`code` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`description_zh` text NOT NULL,
	`description_en` text NOT NULL,
	`synonyms` text DEFAULT '[]' NOT NULL,
	`position` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `unit` (
	`code` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`base` text NOT NULL,
	`multiplier` text NOT NULL,
	`description` text DEFAULT '' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `unit_base_idx` ON `unit` (`base`);--> statement-breakpoint
ALTER TABLE `indicator` ADD `synonyms` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `observation_revision` ADD `temporality` text DEFAULT 'flow' NOT NULL;--> statement-breakpoint
ALTER TABLE `observation_revision` ADD `reference_date` text;--> statement-breakpoint
ALTER TABLE `observation_revision` ADD `published_at` text;--> statement-breakpoint
ALTER TABLE `observation_revision` ADD `rule_changes` text DEFAULT '[]' NOT NULL;