-- One PostgreSQL server, two databases: Airflow's metadata and the Iceberg SQL catalog.
CREATE USER airflow WITH PASSWORD 'airflow';
CREATE DATABASE airflow OWNER airflow;
CREATE USER creditlake WITH PASSWORD 'creditlake';
CREATE DATABASE iceberg_catalog OWNER creditlake;
