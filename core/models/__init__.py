"""The networks: residual blocks, ResNets (torchvision layouts), CIFAR ResNets, their summaries and diagrams."""
