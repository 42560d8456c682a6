-- The registry workload as a team would build it in PostgreSQL instead of quotad: accounts,
-- balances that can never go negative, an append-only journal, one transaction per transfer.
-- Loaded by bench/postgres/run.sh; :enterprises and :holding are psql variables.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE accounts (
  id        bigint PRIMARY KEY,
  kind      text NOT NULL CHECK (kind IN ('national', 'provincial', 'enterprise', 'participant')),
  province  smallint NOT NULL,
  uscc      char(18) UNIQUE,
  name      text NOT NULL
);

CREATE TABLE balances (
  account    bigint NOT NULL REFERENCES accounts (id),
  instrument text NOT NULL,
  amount     bigint NOT NULL CHECK (amount >= 0 AND amount <= 9007199254740991),
  PRIMARY KEY (account, instrument)
);

-- Append-only: every accepted transfer is one row; hash is NULL in the unchained variant.
CREATE TABLE journal (
  seq          bigserial PRIMARY KEY,
  tx_id        uuid NOT NULL UNIQUE,
  kind         text NOT NULL,
  from_account bigint NOT NULL REFERENCES accounts (id),
  to_account   bigint NOT NULL REFERENCES accounts (id),
  instrument   text NOT NULL,
  amount       bigint NOT NULL CHECK (amount > 0),
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  hash         bytea
);

CREATE FUNCTION journal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'journal is append-only';
END $$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
  FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();

-- The hash chain's head: one row, locked FOR UPDATE by every chained writer, which is what
-- serialises them (each row's hash needs the previous one).
CREATE TABLE chain_head (
  id   smallint PRIMARY KEY CHECK (id = 1),
  seq  bigint NOT NULL,
  hash bytea NOT NULL
);
INSERT INTO chain_head VALUES (1, 0, digest('', 'sha256'));

-- Moves amount from src to dst: balances locked in account order (no deadlocks between
-- opposite transfers), the CHECK refuses an overdraft, then the journal row.
CREATE FUNCTION transfer(src bigint, dst bigint, instr text, amt bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  s bigint;
BEGIN
  IF src = dst THEN RAISE EXCEPTION 'same_account'; END IF;
  PERFORM 1 FROM balances WHERE account IN (src, dst) AND instrument = instr
    ORDER BY account FOR UPDATE;
  UPDATE balances SET amount = amount - amt WHERE account = src AND instrument = instr;
  IF NOT FOUND THEN RAISE EXCEPTION 'insufficient_balance'; END IF;
  INSERT INTO balances VALUES (dst, instr, amt)
    ON CONFLICT (account, instrument) DO UPDATE SET amount = balances.amount + EXCLUDED.amount;
  INSERT INTO journal (tx_id, kind, from_account, to_account, instrument, amount)
    VALUES (gen_random_uuid(), 'transfer', src, dst, instr, amt) RETURNING seq INTO s;
  RETURN s;
END $$;

-- The same with a SHA-256 chain: hash = sha256(previous hash || the row's canonical text).
CREATE FUNCTION transfer_chained(src bigint, dst bigint, instr text, amt bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  prev bytea;
  n bigint;
  id uuid := gen_random_uuid();
  t timestamptz := clock_timestamp();
  h bytea;
BEGIN
  IF src = dst THEN RAISE EXCEPTION 'same_account'; END IF;
  PERFORM 1 FROM balances WHERE account IN (src, dst) AND instrument = instr
    ORDER BY account FOR UPDATE;
  UPDATE balances SET amount = amount - amt WHERE account = src AND instrument = instr;
  IF NOT FOUND THEN RAISE EXCEPTION 'insufficient_balance'; END IF;
  INSERT INTO balances VALUES (dst, instr, amt)
    ON CONFLICT (account, instrument) DO UPDATE SET amount = balances.amount + EXCLUDED.amount;
  SELECT c.hash, c.seq + 1 INTO prev, n FROM chain_head c WHERE c.id = 1 FOR UPDATE;
  h := digest(prev || convert_to(concat_ws('|', n, id, 'transfer', src, dst, instr, amt,
                                           extract(epoch FROM t)), 'UTF8'), 'sha256');
  INSERT INTO journal (tx_id, kind, from_account, to_account, instrument, amount, created_at, hash)
    VALUES (id, 'transfer', src, dst, instr, amt, t, h);
  UPDATE chain_head SET seq = n, hash = h WHERE chain_head.id = 1;
  RETURN n;
END $$;

-- Recomputes the chain from the journal alone; true when it ends at the stored head.
CREATE FUNCTION chain_verify() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  h bytea := digest('', 'sha256');
  n bigint := 0;
  r record;
BEGIN
  FOR r IN SELECT * FROM journal WHERE hash IS NOT NULL ORDER BY seq LOOP
    n := n + 1;
    h := digest(h || convert_to(concat_ws('|', n, r.tx_id, r.kind, r.from_account, r.to_account,
                                          r.instrument, r.amount, extract(epoch FROM r.created_at)),
                                'UTF8'), 'sha256');
    IF h <> r.hash THEN RETURN false; END IF;
  END LOOP;
  RETURN (SELECT c.hash = h AND c.seq = n FROM chain_head c WHERE c.id = 1);
END $$;

-- 31 provincial accounts and the enterprises, each holding a large CEA-2025 balance.
INSERT INTO accounts
  SELECT 100 + p, 'provincial', p, NULL, 'province ' || p
  FROM unnest(ARRAY[11,12,13,14,15,21,22,23,31,32,33,34,35,36,37,41,42,43,44,45,46,50,51,52,
                    53,54,61,62,63,64,65]) AS p;
INSERT INTO accounts
  SELECT 1000 + i, 'enterprise', 11, lpad(i::text, 18, '0'), 'enterprise ' || i
  FROM generate_series(1, :enterprises) AS i;
INSERT INTO balances SELECT id, 'CEA-2025', :holding FROM accounts WHERE kind = 'enterprise';
VACUUM ANALYZE;
