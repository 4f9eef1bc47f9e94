-- The facts store's database (the tracker store's, `tracker`, is POSTGRES_DB).
CREATE DATABASE facts;
