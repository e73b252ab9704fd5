# Dot-sourced by every tests/Engram.Pester/*.Tests.ps1 in its BeforeAll block:
#     BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }
# Imports the built module (out/Engram, made by `dotnet build`; $env:ENGRAM_MODULE overrides the manifest's path)
# and defines the helpers the test files share.
$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$manifest = if ($env:ENGRAM_MODULE) { $env:ENGRAM_MODULE } else { Join-Path $script:RepoRoot 'out/Engram/Engram.psd1' }
if (-not (Test-Path -LiteralPath $manifest)) {
    throw "The built module is missing at '$manifest': run 'dotnet build -c Release' first."
}
if (-not (Get-Module Engram)) { Import-Module $manifest -Force -ErrorAction Stop }

# A new, empty store location under TestDrive: a folder (file backend) or 'sqlite:<file>'.
function New-TestStore {
    param([ValidateSet('File', 'Sqlite')][string] $Kind = 'File')
    $name = 'store-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
    if ($Kind -eq 'Sqlite') { return 'sqlite:' + (Join-Path $TestDrive ($name + '.db')) }
    return (Join-Path $TestDrive $name)
}
