CREATE TABLE "indicator_relation" (
	"code" text COLLATE "C" PRIMARY KEY NOT NULL,
	"type" text COLLATE "C" NOT NULL,
	"definition" text NOT NULL,
	"description" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "seed_correction" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"source_id" text COLLATE "C" NOT NULL,
	"applied_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "topic_indicator" (
	"topic_code" text COLLATE "C" NOT NULL,
	"indicator_code" text COLLATE "C" NOT NULL,
	CONSTRAINT "topic_indicator_topic_code_indicator_code_pk" PRIMARY KEY("topic_code","indicator_code")
);
--> statement-breakpoint
CREATE TABLE "topic" (
	"code" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"description_zh" text NOT NULL,
	"description_en" text NOT NULL,
	"synonyms" text DEFAULT '[]' NOT NULL,
	"position" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "unit" (
	"code" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"base" text COLLATE "C" NOT NULL,
	"multiplier" text NOT NULL,
	"description" text DEFAULT '' NOT NULL
);
--> statement-breakpoint
ALTER TABLE "indicator" ADD COLUMN "synonyms" text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE "observation_revision" ADD COLUMN "temporality" text COLLATE "C" DEFAULT 'flow' NOT NULL;--> statement-breakpoint
ALTER TABLE "observation_revision" ADD COLUMN "reference_date" text COLLATE "C";--> statement-breakpoint
ALTER TABLE "observation_revision" ADD COLUMN "published_at" text COLLATE "C";--> statement-breakpoint
ALTER TABLE "observation_revision" ADD COLUMN "rule_changes" text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE "topic_indicator" ADD CONSTRAINT "topic_indicator_topic_code_topic_code_fk" FOREIGN KEY ("topic_code") REFERENCES "public"."topic"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "topic_indicator" ADD CONSTRAINT "topic_indicator_indicator_code_indicator_code_fk" FOREIGN KEY ("indicator_code") REFERENCES "public"."indicator"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "topic_indicator_indicator_idx" ON "topic_indicator" USING btree ("indicator_code");--> statement-breakpoint
CREATE INDEX "unit_base_idx" ON "unit" USING btree ("base");