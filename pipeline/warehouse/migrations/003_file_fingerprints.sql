-- A night with no new files should not re-read every landing file to hash
-- it. A file whose path, size, modification time and quick hash (SHA-256 of
-- its first and last 64 KiB) match an earlier load under the same profile is
-- that file again. Downloaded copies get a new modification time, so for
-- them the full content hash still decides.
ALTER TABLE files ADD COLUMN modified_us BIGINT;   -- modification time, microseconds since 1970 UTC
ALTER TABLE files ADD COLUMN quick_hash VARCHAR;
