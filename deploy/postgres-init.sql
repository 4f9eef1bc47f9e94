-- The facts store's and the review store's databases (the tracker store's, `tracker`, is POSTGRES_DB).
-- Runs only when the volume is first created; on an existing one: CREATE DATABASE review; by hand.
CREATE DATABASE facts;
CREATE DATABASE review;
