// Anchor source for the shared LibTorch precompiled header (cmake/MotionfarmDependencies.cmake).
