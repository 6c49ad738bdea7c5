/**
 * Imported first by every function: React (and other npm packages) pick their development
 * builds unless NODE_ENV says "production", and React's development JSX runtime validates
 * every element, which cost about 3 s of CPU per 1,000 emails. Supabase's edge runtime does
 * not set NODE_ENV, so we do, before any of those packages is evaluated.
 */
import process from "node:process";

if (!process.env.NODE_ENV) process.env.NODE_ENV = "production";
