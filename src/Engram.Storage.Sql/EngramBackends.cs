using System;
using System.IO;
using Engram.Core;

namespace Engram.Storage.Sql
{
    /// <summary>The kind of backend a store location names.</summary>
    public enum BackendKind { File, Sqlite, Postgres }

    /// <summary>
    /// Opens a store by location: a folder path → YAML files; <c>sqlite:&lt;path&gt;</c> → SQLite; a PostgreSQL
    /// address (<c>postgres://user:pw@host:port/db</c>, <c>postgresql://…</c>, or a connection string with
    /// <c>Host=</c>) → PostgreSQL.
    /// </summary>
    public static class EngramBackends
    {
        public const string SqlitePrefix = "sqlite:";

        /// <summary>Which backend a location names (does not touch it).</summary>
        public static BackendKind KindOf(string location)
        {
            if (string.IsNullOrWhiteSpace(location))
                throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument, "The store location cannot be empty.", location);
            var l = location.Trim();
            if (l.StartsWith(SqlitePrefix, StringComparison.OrdinalIgnoreCase)) return BackendKind.Sqlite;
            if (l.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || l.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)) return BackendKind.Postgres;
            if (PostgresDialect.LooksLikeConnectionString(l)) return BackendKind.Postgres;
            return BackendKind.File;
        }

        /// <summary>The path part of a <c>sqlite:</c> location.</summary>
        public static string SqlitePath(string location) => location.Trim().Substring(SqlitePrefix.Length);

        /// <summary>Opens (does not create) the store at <paramref name="location"/>.</summary>
        /// <param name="resolvePath">Turns a relative file path into a full one (PowerShell passes its current location); default: the process's.</param>
        public static IEngramStore Open(string location, Func<string, string>? resolvePath = null, EngramStoreOptions? options = null)
        {
            resolvePath = resolvePath ?? Path.GetFullPath;
            switch (KindOf(location))
            {
                case BackendKind.Sqlite:
                    var path = SqlitePath(location);
                    if (path.Length == 0)
                        throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument, "A SQLite location names a file: sqlite:<path>.", location);
                    return new SqlEngramStore(new SqliteDialect(resolvePath(path)), options);
                case BackendKind.Postgres:
                    return new SqlEngramStore(new PostgresDialect(location.Trim()), options);
                default:
                    return new EngramStore(resolvePath(location), options);
            }
        }
    }
}
