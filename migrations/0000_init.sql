CREATE TABLE `area` (
	`code` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`level` text NOT NULL,
	`parent_code` text,
	`division_code` text,
	FOREIGN KEY (`parent_code`) REFERENCES `area`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `area_parent_idx` ON `area` (`parent_code`);--> statement-breakpoint
CREATE TABLE `audit_entry` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`recorded_at` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`before` text,
	`after` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `indicator` (
	`code` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`description` text NOT NULL,
	`category` text NOT NULL,
	`unit` text NOT NULL,
	`additive` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `indicator_category_idx` ON `indicator` (`category`);--> statement-breakpoint
CREATE TABLE `observation_revision` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`observation_id` integer NOT NULL,
	`revision` integer NOT NULL,
	`status` text NOT NULL,
	`value` text NOT NULL,
	`qualifier` text NOT NULL,
	`reported_value` text NOT NULL,
	`reported_unit` text NOT NULL,
	`reported_text` text,
	`source_id` text NOT NULL,
	`quote` text NOT NULL,
	`byte_start` integer NOT NULL,
	`byte_end` integer NOT NULL,
	`involved_areas` text DEFAULT '[]' NOT NULL,
	`note` text,
	`reason` text NOT NULL,
	`actor` text NOT NULL,
	`recorded_at` text NOT NULL,
	FOREIGN KEY (`observation_id`) REFERENCES `observation`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`source_id`) REFERENCES `source`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `observation_revision_key` ON `observation_revision` (`observation_id`,`revision`);--> statement-breakpoint
CREATE INDEX `observation_revision_asof_idx` ON `observation_revision` (`observation_id`,`recorded_at`);--> statement-breakpoint
CREATE INDEX `observation_revision_recorded_idx` ON `observation_revision` (`recorded_at`);--> statement-breakpoint
CREATE TABLE `observation` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`indicator_code` text NOT NULL,
	`area_code` text NOT NULL,
	`period_code` text NOT NULL,
	`kind` text NOT NULL,
	`current_seq` integer NOT NULL,
	FOREIGN KEY (`indicator_code`) REFERENCES `indicator`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`area_code`) REFERENCES `area`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`period_code`) REFERENCES `reporting_period`(`code`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "observation_kind_check" CHECK("observation"."kind" in ('actual', 'target', 'forecast'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `observation_natural_key` ON `observation` (`indicator_code`,`area_code`,`period_code`,`kind`);--> statement-breakpoint
CREATE INDEX `observation_area_idx` ON `observation` (`area_code`,`id`);--> statement-breakpoint
CREATE INDEX `observation_period_idx` ON `observation` (`period_code`,`id`);--> statement-breakpoint
CREATE INDEX `observation_current_seq_idx` ON `observation` (`current_seq`);--> statement-breakpoint
CREATE TABLE `reporting_period` (
	`code` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`start_date` text NOT NULL,
	`end_date` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `reporting_period_start_idx` ON `reporting_period` (`start_date`,`end_date`);--> statement-breakpoint
CREATE TABLE `source` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`title_en` text,
	`document_number` text,
	`issuer` text NOT NULL,
	`recipient` text,
	`issued_on` text NOT NULL,
	`media_type` text NOT NULL,
	`byte_length` integer NOT NULL,
	`sha256` text NOT NULL,
	`content` blob NOT NULL,
	`recorded_at` text NOT NULL
);
