-- +goose Up
-- failed_from is the status an import failed from: a confirm that failed on a
-- transient error (code 'internal', failed_from 'confirming') applied nothing
-- and may be confirmed again. Each confirm request is an attempt with its own
-- asynq task id ("confirm:<id>", then "confirm:<id>:2"…), since asynq keeps
-- the id of a task that gave up. confirm_started_at and confirm_finished_at
-- are the wall-clock times, inside the applying transaction, at which the
-- tenant lock was taken and the import marked completed: one tenant's
-- intervals never overlap.
ALTER TABLE imports
    ADD COLUMN failed_from         text,
    ADD COLUMN confirm_attempts    int NOT NULL DEFAULT 0,
    ADD COLUMN confirm_started_at  timestamptz,
    ADD COLUMN confirm_finished_at timestamptz;

-- +goose Down
ALTER TABLE imports
    DROP COLUMN failed_from,
    DROP COLUMN confirm_attempts,
    DROP COLUMN confirm_started_at,
    DROP COLUMN confirm_finished_at;
