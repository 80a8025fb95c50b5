// Every archive sink, listed once: the config schema and the archive pick them up from here.
import jsonl from './jsonl.js'
import postgres from './postgres.js'
import sqlite from './sqlite.js'

export const sinkDefinitions = [sqlite, postgres, jsonl] as const
