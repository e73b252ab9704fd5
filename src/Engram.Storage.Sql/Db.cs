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
            int rows;
            using (var cmd = Command(sql, parameters)) rows = cmd.ExecuteNonQuery();
            FaultHook?.Invoke("exec");
            return rows;
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
            Transaction?.Dispose();
            Connection.Dispose();
        }
    }
}
