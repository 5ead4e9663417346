-- The lab's two databases, as airflow_lab/postgres.py creates them for the lab
-- stack: the Airflow metastore `airflow` and the pipeline's `nft`, each owned by
-- its own login role, so the DAG's connection (db_postgre -> nft) cannot touch
-- Airflow's tables.
--
-- The postgres image runs this file once, when its data volume is empty
-- (docker-entrypoint-initdb.d), as the superuser `postgres`. The passwords come
-- from the container's environment (psql's \getenv), which docker-compose.yaml
-- fills from .env: nothing secret is written here.

\getenv airflow_db_password AIRFLOW_DB_PASSWORD
\getenv nft_db_password NFT_DB_PASSWORD

CREATE ROLE airflow LOGIN PASSWORD :'airflow_db_password';
CREATE DATABASE airflow OWNER airflow;

CREATE ROLE nft LOGIN PASSWORD :'nft_db_password';
CREATE DATABASE nft OWNER nft;
