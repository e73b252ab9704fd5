using System;
using System.Collections.Generic;
using System.Data.Common;

namespace Engram.Storage.Sql
{
    /// <summary>A connection, optionally inside a transaction, with small helpers for parameterised SQL.</summary>
    internal sealed class Db : IDisposable
    {
        public Db(DbConnection connection, DbTransaction? transaction = null)
        {
            Connection = connection;
            Transaction = transaction;
        }

        public DbConnection Connection { get; }
        public DbTransaction? Transaction { get; set; }

        public DbCommand Command(string sql, params (string name, object? value)[] parameters)
        {
            var cmd = Connection.CreateCommand();
            cmd.Transaction = Transaction;
            cmd.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                var p = cmd.CreateParameter();
                p.ParameterName = "@" + name;
                p.Value = value ?? DBNull.Value;
                cmd.Parameters.Add(p);
            }
            return cmd;
        }

        /// <summary>Test hook of a write transaction (see <see cref="SqlEngramStore.FaultHook"/>).</summary>
        public Action<string>? FaultHook { get; set; }

        public int Exec(string sql, params (string, object?)[] parameters)
        {
            var cmd = Prepared(sql, parameters, out bool kept);
            int rows;
            try { rows = cmd.ExecuteNonQuery(); }
            finally { if (!kept) cmd.Dispose(); }
            FaultHook?.Invoke("exec");
            return rows;
        }

        /// <summary>Runs a query whose text is run again and again (a writer's read of each memory of a batch) through
        /// the kept command of that text (see <see cref="Prepared"/>).</summary>
        public void ReadPrepared(string sql, (string name, object? value)[] parameters, Action<DbDataReader> read)
        {
            var cmd = Prepared(sql, parameters, out bool kept);
            try
            {
                using (var r = cmd.ExecuteReader()) read(r);
            }
            finally { if (!kept) cmd.Dispose(); }
        }

        /// <summary>Statements kept for reuse, at most this many per connection.</summary>
        private const int PreparedLimit = 64;

        private Dictionary<string, DbCommand>? _prepared;

        /// <summary>
        /// The command of a statement, kept per statement text with its parameters set anew: a statement run again (a
        /// batch writes hundreds of memories with the same few statements) is parsed and planned once per connection.
        /// </summary>
        private DbCommand Prepared(string sql, (string name, object? value)[] parameters, out bool kept)
        {
            kept = true;
            _prepared ??= new Dictionary<string, DbCommand>(StringComparer.Ordinal);
            if (_prepared.TryGetValue(sql, out var cmd) && SameNames(cmd, parameters))
            {
                cmd.Transaction = Transaction;
                for (int i = 0; i < parameters.Length; i++) cmd.Parameters[i].Value = parameters[i].value ?? DBNull.Value;
                return cmd;
            }
            cmd?.Dispose();
            _prepared.Remove(sql);
            cmd = Command(sql, parameters);
            if (_prepared.Count < PreparedLimit) _prepared[sql] = cmd;
            else kept = false; // a statement text seen once among many: run and dispose
            return cmd;
        }

        private static bool SameNames(DbCommand cmd, (string name, object? value)[] parameters)
        {
            if (cmd.Parameters.Count != parameters.Length) return false;
            for (int i = 0; i < parameters.Length; i++)
            {
                var name = cmd.Parameters[i].ParameterName;
                if (name.Length != parameters[i].name.Length + 1 || string.CompareOrdinal(name, 1, parameters[i].name, 0, parameters[i].name.Length) != 0) return false;
            }
            return true;
        }

        public object? Scalar(string sql, params (string, object?)[] parameters)
        {
            using (var cmd = Command(sql, parameters))
            {
                var v = cmd.ExecuteScalar();
                return v is DBNull ? null : v;
            }
        }

        public List<T> Query<T>(string sql, Func<DbDataReader, T> read, params (string, object?)[] parameters)
        {
            var list = new List<T>();
            using (var cmd = Command(sql, parameters))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) list.Add(read(r));
            return list;
        }

        /// <summary>Streams rows; the reader stays open while the caller enumerates.</summary>
        public IEnumerable<T> Stream<T>(string sql, Func<DbDataReader, T> read, params (string, object?)[] parameters)
        {
            using (var cmd = Command(sql, parameters))
            using (var r = cmd.ExecuteReader())
                while (r.Read()) yield return read(r);
        }

        public void Dispose()
        {
            if (_prepared != null) foreach (var cmd in _prepared.Values) cmd.Dispose();
            _prepared = null;
            Transaction?.Dispose();
            Connection.Dispose();
        }
    }
}
