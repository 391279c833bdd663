-- Runs once, when the stack's PostgreSQL starts on an empty volume (docker-entrypoint-initdb.d), connected to
-- POSTGRES_DB (storeflow: the daemon's state database, which storeflow migrates itself).
-- The files under sql/ are included from here; the entrypoint itself ignores sub-folders.

-- The source database of the compose tenant (the demo chain's items and sales).
CREATE DATABASE demo;
-- The Iceberg JDBC catalog of Trino's `iceberg` catalog (docker/trino/catalog/iceberg.properties).
CREATE DATABASE iceberg;

\connect demo
\ir sql/demo.sql

\connect iceberg
\ir sql/iceberg-catalog.sql
