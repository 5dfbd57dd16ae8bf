-- The corpus's known-answer test of the sqlite3 shell (tests/compat): a
-- database file on /tmp written in transactions (journal, locks, fsync),
-- closed and opened again, then SQL, full-text search, JSON and math.
.bail on
.open /tmp/smoke.db
PRAGMA journal_mode = DELETE;
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000)
INSERT INTO t(name, n) SELECT printf('row%04d', x), x * x FROM c;
COMMIT;
CREATE INDEX t_n ON t(n);
BEGIN;
DELETE FROM t WHERE id % 10 = 0;
ROLLBACK;
.open /tmp/smoke.db
.mode list
.separator "\t"
SELECT 'rows', count(*), sum(n), max(name) FROM t;
SELECT 'index', name FROM t WHERE n = 250000;
SELECT 'group', id % 3 AS k, count(*) FROM t GROUP BY k ORDER BY k;
CREATE VIRTUAL TABLE doc USING fts5(body);
INSERT INTO doc VALUES ('the quick brown fox'), ('a lazy dog'), ('the fox and the dog');
SELECT 'fts', rowid FROM doc WHERE doc MATCH 'fox AND dog';
SELECT 'json', json_extract('{"a":[1,2,{"b":"unik"}]}', '$.a[2].b'), json_array_length('[1,2,3]');
SELECT 'math', round(sqrt(2), 6), pow(2, 10), round(pi(), 4);
SELECT 'window', group_concat(r, ',') FROM (SELECT rank() OVER (ORDER BY n % 4) AS r FROM t WHERE id <= 4);
PRAGMA integrity_check;
.mode quote
SELECT id, name FROM t WHERE id IN (1, 2);
.quit
