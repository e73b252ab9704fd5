namespace Engram.PowerShell.Commands
{
    internal static class Placeholder { }
}
