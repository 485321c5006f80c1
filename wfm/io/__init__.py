"""Every file contract: names (`tables`), atomic writers (`files`), cell validators
(`cells`), input readers (`inputs`), the config file (`config_file`) and the schedule
folder (`schedule_folder`).
"""
