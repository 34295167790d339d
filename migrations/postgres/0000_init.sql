CREATE TABLE "api_key" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name" text COLLATE "C" NOT NULL,
	"scopes" text COLLATE "C" NOT NULL,
	"secret_hash" text COLLATE "C" NOT NULL,
	"created_at" text COLLATE "C" NOT NULL,
	"revoked_at" text COLLATE "C",
	CONSTRAINT "api_key_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "area" (
	"code" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"level" text COLLATE "C" NOT NULL,
	"parent_code" text COLLATE "C",
	"division_code" text COLLATE "C"
);
--> statement-breakpoint
CREATE TABLE "audit_entry" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"recorded_at" text COLLATE "C" NOT NULL,
	"actor" text COLLATE "C" NOT NULL,
	"action" text COLLATE "C" NOT NULL,
	"entity_type" text COLLATE "C" NOT NULL,
	"entity_id" text COLLATE "C" NOT NULL,
	"before" text,
	"after" text,
	"prev_hash" text COLLATE "C" NOT NULL,
	"hash" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_key" (
	"actor" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"request_hash" text COLLATE "C" NOT NULL,
	"state" text COLLATE "C" NOT NULL,
	"status_code" integer,
	"response_body" text,
	"created_at" text COLLATE "C" NOT NULL,
	"expires_at" text COLLATE "C" NOT NULL,
	CONSTRAINT "idempotency_key_actor_key_pk" PRIMARY KEY("actor","key")
);
--> statement-breakpoint
CREATE TABLE "indicator" (
	"code" text COLLATE "C" PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"description" text NOT NULL,
	"category" text COLLATE "C" NOT NULL,
	"unit" text NOT NULL,
	"additive" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "observation_revision" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"observation_id" bigint NOT NULL,
	"revision" integer NOT NULL,
	"status" text COLLATE "C" NOT NULL,
	"value" text NOT NULL,
	"qualifier" text COLLATE "C" NOT NULL,
	"reported_value" text NOT NULL,
	"reported_unit" text NOT NULL,
	"reported_text" text,
	"source_id" text COLLATE "C" NOT NULL,
	"quote" text NOT NULL,
	"byte_start" integer NOT NULL,
	"byte_end" integer NOT NULL,
	"involved_areas" text DEFAULT '[]' NOT NULL,
	"note" text,
	"reason" text NOT NULL,
	"actor" text COLLATE "C" NOT NULL,
	"recorded_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "observation" (
	"id" bigint PRIMARY KEY NOT NULL,
	"indicator_code" text COLLATE "C" NOT NULL,
	"area_code" text COLLATE "C" NOT NULL,
	"period_code" text COLLATE "C" NOT NULL,
	"kind" text COLLATE "C" NOT NULL,
	"current_seq" bigint NOT NULL,
	CONSTRAINT "observation_kind_check" CHECK ("observation"."kind" in ('actual', 'target', 'forecast'))
);
--> statement-breakpoint
CREATE TABLE "reporting_period" (
	"code" text COLLATE "C" PRIMARY KEY NOT NULL,
	"type" text COLLATE "C" NOT NULL,
	"start_date" text COLLATE "C" NOT NULL,
	"end_date" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "source" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"title_en" text,
	"document_number" text,
	"issuer" text NOT NULL,
	"recipient" text,
	"issued_on" text COLLATE "C" NOT NULL,
	"media_type" text NOT NULL,
	"byte_length" integer NOT NULL,
	"sha256" text NOT NULL,
	"content" "bytea" NOT NULL,
	"recorded_at" text COLLATE "C" NOT NULL
);
--> statement-breakpoint
ALTER TABLE "area" ADD CONSTRAINT "area_parent_code_area_code_fk" FOREIGN KEY ("parent_code") REFERENCES "public"."area"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observation_revision" ADD CONSTRAINT "observation_revision_observation_id_observation_id_fk" FOREIGN KEY ("observation_id") REFERENCES "public"."observation"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observation_revision" ADD CONSTRAINT "observation_revision_source_id_source_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."source"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observation" ADD CONSTRAINT "observation_indicator_code_indicator_code_fk" FOREIGN KEY ("indicator_code") REFERENCES "public"."indicator"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observation" ADD CONSTRAINT "observation_area_code_area_code_fk" FOREIGN KEY ("area_code") REFERENCES "public"."area"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "observation" ADD CONSTRAINT "observation_period_code_reporting_period_code_fk" FOREIGN KEY ("period_code") REFERENCES "public"."reporting_period"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "area_parent_idx" ON "area" USING btree ("parent_code");--> statement-breakpoint
CREATE INDEX "idempotency_key_expiry_idx" ON "idempotency_key" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "indicator_category_idx" ON "indicator" USING btree ("category");--> statement-breakpoint
CREATE UNIQUE INDEX "observation_revision_key" ON "observation_revision" USING btree ("observation_id","revision");--> statement-breakpoint
CREATE UNIQUE INDEX "observation_natural_key" ON "observation" USING btree ("indicator_code","area_code","period_code","kind");--> statement-breakpoint
CREATE INDEX "observation_indicator_idx" ON "observation" USING btree ("indicator_code","id");--> statement-breakpoint
CREATE INDEX "observation_area_idx" ON "observation" USING btree ("area_code","id");--> statement-breakpoint
CREATE INDEX "observation_period_idx" ON "observation" USING btree ("period_code","id");--> statement-breakpoint
CREATE INDEX "reporting_period_start_idx" ON "reporting_period" USING btree ("start_date","end_date");