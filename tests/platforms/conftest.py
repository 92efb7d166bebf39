from tests.utils.emulated import emulator, emulator_server

__all__ = ["emulator", "emulator_server"]
