using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Engram.Core.Provenance;

namespace Engram.Core.Storage
{
    /// <summary>The file storage's part of the store lifecycle: history sizes, engram.yaml read afresh under the lock,
    /// and format upgrades through the journal.</summary>
    public sealed partial class FileStorage : IHistorySize, IStoredConfig, IFormatUpgrade
    {
        /// <summary>The length of the <c>.prov</c> file (0 when there is none), torn bytes included.</summary>
        public long StoredBytes(IStorageView view, string ns, string key)
        {
            var path = ProvenancePath(ns, key);
            return File.Exists(path) ? new FileInfo(path).Length : 0;
        }

        /// <summary>The length of the <c>.prov</c> file these entries make (each entry's trailer records its offset).</summary>
        public long BytesOf(IReadOnlyList<ProvenanceEntry> entries)
        {
            long offset = 0;
            foreach (var e in entries) offset += Encoding.UTF8.GetByteCount(ProvenanceLog.Serialize(e, offset));
            return offset;
        }

        /// <summary>engram.yaml as it is on disk now (the cached <see cref="Config"/> may predate another process's write).</summary>
        public StoreConfig ReadStoredConfig() => StoreConfig.Parse(ReadConfigText(), ConfigPath);

        /// <summary>Writes engram.yaml through the journal at once (the session holds the lock), then forgets the cached copy.</summary>
        public void WriteUpgrade(IStorageWrite session, StoreConfig upgraded)
        {
            if (!(session is FileWriteSession)) throw new ArgumentException("Not a write session of this storage.", nameof(session));
            using (var txn = BeginTransaction())
            {
                txn.Write(ConfigPath, upgraded.ToYaml());
                txn.Commit();
            }
            ForgetConfig();
        }
    }
}
