import ArgumentParser
import Tensor

struct Neatms: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neatms",
        abstract: "Use, fine-tune and convert the NeatMS peak-quality network.",
        version: neatmsVersion,
        subcommands: [
            SummaryCommand.self, InspectCommand.self, ConvertCommand.self, ExtractCommand.self,
            DatasetCommand.self, TrainCommand.self, ThresholdCommand.self, PredictCommand.self, ModelCommand.self,
            MergeCommand.self, AnnotateCommand.self, ReadHDF5Command.self,
        ])
}
// SIGINT, SIGTERM and SIGHUP end neatms even when the process that started it had them blocked in the starting
// thread (the mask is inherited: Foundation's Process, job runners with worker threads), as README's exit codes say.
Terminal.unblockTerminationSignals()
// The engine never uses BLAS threading: end the threads OpenBLAS started (and spins) at load time.
BLAS.stopIdleThreads()
// Every HDF5 file is first read through by a child `neatms _read-hdf5` (HDF5Containment), except in that child.
if CommandLine.arguments.dropFirst().first != ReadHDF5Command.name { HDF5Containment.install() }
Neatms.main()
