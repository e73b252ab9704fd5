namespace Engram.Core.Storage
{
    /// <summary>
    /// Optional capability of an <see cref="IEngramStorage"/> that stores a format upgrade its own way
    /// (<see cref="Engine.EngramEngine.Upgrade"/>). The file storage writes the upgraded engram.yaml through its
    /// <c>_txn</c> journal, at once, as a multi-file change would (format 1 → 2 changes no other file). A storage
    /// without it gets <see cref="IStorageWrite.PutConfig"/> (SQL: its table layout is brought up to date by
    /// <see cref="IEngramStorage.BeginWrite"/>).
    /// </summary>
    public interface IFormatUpgrade
    {
        /// <summary>Stores <paramref name="upgraded"/> (the configuration at its new format) inside
        /// <paramref name="session"/>, a write session of this storage.</summary>
        void WriteUpgrade(IStorageWrite session, StoreConfig upgraded);
    }
}
